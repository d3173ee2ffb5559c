"""The OpenAPI schema of /api/v1/ and its Swagger UI page, served from our own static files
(drf-spectacular-sidecar) under the console's Content-Security-Policy."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.people.api_access import HasDeclaredRole
from apps.people.roles import STAFF_ROLES, Role

API_READERS = (*STAFF_ROLES, Role.SYSTEM)


class ApiSchema(SpectacularAPIView):
    allowed_roles = API_READERS
    permission_classes = [HasDeclaredRole]


class ApiDocs(SpectacularSwaggerView):
    allowed_roles = API_READERS
    permission_classes = [HasDeclaredRole]
    # drf-spectacular's own page runs an inline script without a nonce; ours adds it.
    template_name = "console/api_docs.html"
    url_name = "api-schema"
