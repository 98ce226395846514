"""The review queues on the admin's front page (templates/admin/index.html)."""

from django import template
from django.contrib import admin
from django.utils import timezone

from partners.review_queues import QUEUES, ReviewQueue, queue_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def review_queues(context: template.Context) -> list[tuple[ReviewQueue, int]]:
    """The queues the signed-in curator may open, each with the number of rows in it."""
    request = context["request"]
    visible = []
    for queue in QUEUES:
        model_admin = admin.site.get_model_admin(queue.model)
        if model_admin.has_view_permission(request):
            visible.append(queue)
    return queue_counts(visible, timezone.localdate())


@register.simple_tag
def review_queue_summary(queue: ReviewQueue) -> str:
    """What a queue's rows amount to, for the queues that say it ("" for the others)."""
    return queue.summary() if queue.summary else ""
