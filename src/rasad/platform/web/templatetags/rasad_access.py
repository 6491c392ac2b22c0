"""Which navigation links a user is offered; the views enforce access themselves."""

from django import template

from rasad.platform.web.access import may_enter_returns, may_import

register = template.Library()


@register.filter
def enters_returns(user) -> bool:
    return may_enter_returns(user)


@register.filter
def imports_files(user) -> bool:
    return may_import(user)
