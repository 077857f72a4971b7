"""What tests/budgets/test_report_*.py share: a printed "-" in the report's tables, stored as NULL."""

N = None  # a printed "-"
