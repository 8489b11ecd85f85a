"""Public pages per municipality, the landing page and the privacy notice (see `web.public.routes`)."""

from web.public.routes import router

__all__ = ["router"]
