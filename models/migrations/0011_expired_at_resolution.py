"""An expiry alert says what expired: the units that expired unused between its firing and its resolution"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('balances', '0010_alerts_of_caps')]

    initial = False

    operations = [
        ops.AddField(model_name='Alert', name='expired', field=fields.BigIntField(null=True)),
    ]
