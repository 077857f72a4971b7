from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Without autofocus: the first Tab from the top of the page must reach the skip link
    (JIS X 8341-3 / WCAG 2.4.3 focus order), not jump past it into the form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.pop("autofocus", None)
