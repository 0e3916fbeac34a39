SELECT customer_id, account_id, role FROM demo.bank.account_holders
