from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """The user name field has autofocus: signing in is what this page is for. The skip link still
    comes first for a keyboard user who tabs from the top (autofocus only places the caret)."""
