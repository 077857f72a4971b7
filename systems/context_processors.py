from .selectors import any_systems


def systems_menu(request):
    """Whether the menu shows 情報システム: only when some report holds a system list (issue 11: the
    systems app stays for reports that have one). A callable, read only when a page renders the menu."""
    return {"menu_has_systems": any_systems}
