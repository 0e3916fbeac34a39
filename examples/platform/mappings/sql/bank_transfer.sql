SELECT from_account, to_account, amount, ts FROM demo.bank.transfers
