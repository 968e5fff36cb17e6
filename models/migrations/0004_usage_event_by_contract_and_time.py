from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('balances', '0003_api_keys')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='UsageEvent',
            name=None,
            fields=['holder_id', 'occurred_at'],
        ),
        ops.AddIndex(
            model_name='UsageEvent',
            index=Index(fields=['contract_id', 'occurred_at']),
        ),
    ]
