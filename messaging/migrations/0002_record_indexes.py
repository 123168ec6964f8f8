"""Indexes of the record query (MSG-05): each (filter columns…, created_at, id)
so a page is one ordered index seek (see Message.Meta).  The new indexes are
built first, without blocking writes on PostgreSQL (CREATE INDEX CONCURRENTLY:
a busy messages table keeps taking sends and receipts meanwhile), and only then
are the single-column indexes they replace dropped."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class AddIndexOnline(migrations.AddIndex):
    """AddIndex, concurrently on PostgreSQL (needs a non-atomic migration)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('core_billing', '0005_billing_fillfactor'),
        ('messaging', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexOnline(
            model_name='message',
            index=models.Index(fields=['created_at', 'id'], name='message_created_id'),
        ),
        AddIndexOnline(
            model_name='message',
            index=models.Index(fields=['station', 'created_at', 'id'], name='message_station_created_id'),
        ),
        AddIndexOnline(
            model_name='message',
            index=models.Index(fields=['status', 'created_at', 'id'], name='message_status_created'),
        ),
        AddIndexOnline(
            model_name='message',
            index=models.Index(fields=['phone', 'created_at', 'id'], name='message_phone_created'),
        ),
        AddIndexOnline(
            model_name='message',
            index=models.Index(fields=['season', 'topic', 'created_at', 'id'], name='message_season_topic_created'),
        ),
        AddIndexOnline(
            model_name='message',
            index=models.Index(condition=models.Q(('campaign_id__isnull', False)), fields=['campaign_id', 'created_at', 'id'], name='message_campaign_created'),
        ),
        AddIndexOnline(
            model_name='message',
            index=models.Index(fields=['sender', 'created_at', 'id'], name='message_sender_created'),
        ),        migrations.RemoveIndex(
            model_name='message',
            name='message_station_created',
        ),
        migrations.AlterField(
            model_name='message',
            name='campaign_id',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='campaign'),
        ),
        migrations.AlterField(
            model_name='message',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='message',
            name='phone',
            field=models.CharField(max_length=20, verbose_name='phone'),
        ),
        migrations.AlterField(
            model_name='message',
            name='season',
            field=models.CharField(blank=True, help_text='Season code such as 2025-2026.', max_length=16, verbose_name='heating season'),
        ),
        migrations.AlterField(
            model_name='message',
            name='sender',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='sent_messages', to=settings.AUTH_USER_MODEL, verbose_name='sender'),
        ),
    ]
