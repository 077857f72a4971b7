from .selectors import any_budgets


def budgets_menu(request):
    """Whether the menu shows DX予算・事業: only when some report holds a DX budget or projects. A
    callable, read only when a page renders the menu."""
    return {"menu_has_budgets": any_budgets}
