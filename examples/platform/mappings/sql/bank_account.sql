SELECT account_id, account_no, sector, status FROM demo.bank.accounts
