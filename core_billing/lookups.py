"""`in` on integer columns leaves out values no such column can hold.

Django already answers `pk=10**30` with "no rows" (IntegerFieldOverflow), but
`pk__in=[10**30]` reaches SQLite, which raises OverflowError: a filter form
given an absurd id (the API fuzzer's) was a 500 on the embedded database."""
from django.db.models import IntegerField
from django.db.models.lookups import In


@IntegerField.register_lookup
class IntegerIn(In):
    lookup_name = "in"

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            self.rhs = [v for v in self.rhs if not isinstance(v, int)
                        or ((low is None or v >= low) and (high is None or v <= high))]
        return super().process_rhs(compiler, connection)
