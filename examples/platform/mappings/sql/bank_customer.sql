SELECT customer_id, name, segment, country, risk_score FROM demo.bank.customers
