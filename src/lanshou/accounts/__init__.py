"""Accounts: users, roles, shop grants, API tokens and the login rate limit.

Pure rules live in `roles`, `passwords`, `tokens` and `limits`; the tables in `tables`; SQL in `store`; the
use cases every face calls (`add_user`, `issue_token`, `authenticate`, `shops_for`, ...) in `service`.
"""
