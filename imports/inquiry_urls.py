"""Routes of the inquiry rounds (照会); included in imports/urls.py under the "imports" namespace."""

urlpatterns = []
