"""The pages' texts: key -> (中文, English). Keys are grouped by page; every key a template uses is here
(tests check that)."""

from __future__ import annotations

from lanshou.web.aftersales_messages import AFTERSALES_MESSAGES
from lanshou.web.cs_messages import CS_MESSAGES
from lanshou.web.more_messages import MORE_MESSAGES
from lanshou.web.ops_messages import OPS_MESSAGES
from lanshou.web.page_messages import PAGE_MESSAGES
from lanshou.web.stats_messages import STATS_MESSAGES
from lanshou.web.timeline_messages import TIMELINE_MESSAGES

MESSAGES: dict[str, tuple[str, str]] = {
    "app.name": ("揽收", "Lanshou"),
    "app.tagline": ("订单与履约管理", "Orders and fulfilment"),
    "nav.overview": ("概览", "Overview"),
    "nav.logout": ("退出", "Sign out"),
    "nav.language": ("语言", "Language"),
    "nav.menu": ("菜单", "Menu"),
    "login.title": ("登录", "Sign in"),
    "login.name": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.refused": ("用户名或密码错误", "Wrong user name or password"),
    "login.throttled": (
        "登录失败次数过多，请 {minutes} 分钟后再试",
        "Too many failed sign-ins: try again in {minutes} min",
    ),
    "login.signed_out": ("已退出登录", "You are signed out"),
    "overview.title": ("概览", "Overview"),
    "overview.shops": ("我的店铺", "My shops"),
    "overview.all_shops": ("可访问全部店铺", "Access to all shops"),
    "overview.no_shops": ("还没有店铺：先导入订单", "No shops yet: import orders first"),
    "overview.platform": ("平台", "Platform"),
    "overview.shop": ("店铺", "Shop"),
    "overview.timezone": ("时区", "Timezone"),
    "overview.orders": ("订单", "Orders"),
    "overview.chart": ("各店铺订单数", "Orders per shop"),
    "role.owner": ("店主", "Owner"),
    "role.operator": ("运营", "Operator"),
    "role.warehouse": ("仓库", "Warehouse"),
    "role.customer_service": ("客服", "Customer service"),
    "csrf.refused": (
        "表单已失效，请刷新页面后重试（CSRF 校验失败）",
        "This form has expired or did not come from this site: reload the page and try again "
        "(CSRF check failed)",
    ),
    "error.title": ("出错了", "Something went wrong"),
    "error.400": ("请求无效", "Bad request"),
    "error.403": ("无权访问此页面", "You may not open this page"),
    "error.404": ("页面不存在", "Page not found"),
    "error.405": ("不支持此操作", "Method not allowed"),
    "error.422": ("提交的内容无效", "The form was not valid"),
    "error.429": ("请求太频繁，请稍后再试", "Too many requests: try again later"),
    "error.500": ("服务器内部错误，已记录", "Internal server error; it has been logged"),
    "error.back": ("返回首页", "Back to the overview"),
}
MESSAGES.update(PAGE_MESSAGES)
MESSAGES.update(OPS_MESSAGES)
MESSAGES.update(MORE_MESSAGES)
MESSAGES.update(STATS_MESSAGES)
MESSAGES.update(TIMELINE_MESSAGES)
MESSAGES.update(CS_MESSAGES)
MESSAGES.update(AFTERSALES_MESSAGES)
