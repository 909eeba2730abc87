"""Import every table so that Base.metadata is complete (for Alembic and tests)."""
from bot.conversation import models as conversation_models  # noqa: F401
from bot.analytics import models as analytics_models  # noqa: F401
from bot.gateway import models as gateway_models  # noqa: F401
from bot.handoff import models as handoff_models  # noqa: F401
from bot.shop import models as shop_models  # noqa: F401
from bot import limits as limit_models  # noqa: F401
from bot.studio import tables as studio_tables  # noqa: F401
from bot.db import Base

metadata = Base.metadata
