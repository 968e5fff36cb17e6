"""A rule may be paused (kept, not evaluated) and resumed: when, or null while it runs; an administrator's region,
chosen on the page and remembered"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('balances', '0011_expired_at_resolution')]

    initial = False

    operations = [
        ops.AddField(model_name='AlertRule', name='paused_at', field=fields.DatetimeField(null=True)),
        ops.AddField(model_name='Admin', name='region', field=fields.CharField(max_length=8, null=True)),
    ]
