from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest

from apps.people.access import public
from apps.people.demo import DEMO_PASSWORD, DEMO_PEOPLE
from apps.people.forms import SignInForm
from apps.people.http import safe_next


class SignInView(auth_views.LoginView):
    template_name = "people/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        # The desk's one check of every `next` (Django's own is the same rule today).
        return safe_next(request or self.request)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if settings.DEBUG:  # the local demo lists its sign-ins; production never does
            context["demo_users"] = [(u, r.label) for u, _, _, r in DEMO_PEOPLE]
            context["demo_password"] = DEMO_PASSWORD
        return context


class SignOutView(auth_views.LogoutView):
    pass


sign_in = public(SignInView.as_view())
# Sign-out accepts POST only (Django's LogoutView), so a link cannot sign anyone out.
sign_out = public(SignOutView.as_view())
