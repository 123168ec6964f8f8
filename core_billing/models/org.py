"""The org tree: stations, exchange stations, communities, buildings, customers."""
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..scoping import ScopedManager


class Station(models.Model):
    """A heating station (供热站): the data-isolation unit.  The head office is
    not a row: staff without a station are head-office staff."""

    STATION_LOOKUP = "pk"

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    hotline = models.CharField(_("hotline"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("heating station")
        verbose_name_plural = _("heating stations")

    def __str__(self):
        return self.name


class ExchangeStation(models.Model):
    """换热站: a heat substation serving some buildings of one station."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="exchange_stations",
                                verbose_name=_("heating station"))
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=64)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["station_id", "code"]
        verbose_name = _("exchange station")
        verbose_name_plural = _("exchange stations")
        constraints = [
            models.UniqueConstraint(fields=["station", "code"], name="exchange_station_code_unique"),
            models.UniqueConstraint(fields=["station", "name"], name="exchange_station_name_unique"),
        ]

    def __str__(self):
        return self.name


class Community(models.Model):
    """小区."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="communities",
                                verbose_name=_("heating station"))
    name = models.CharField(_("name"), max_length=64)
    address = models.CharField(_("address"), max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["station_id", "name"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        constraints = [models.UniqueConstraint(fields=["station", "name"], name="community_name_unique")]

    def __str__(self):
        return self.name


class Building(models.Model):
    """楼: a building of a community, with its stairwells numbered 1..unit_count."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="buildings",
                                verbose_name=_("heating station"))
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="buildings",
                                  verbose_name=_("community"))
    exchange_station = models.ForeignKey(ExchangeStation, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="buildings", verbose_name=_("exchange station"))
    name = models.CharField(_("building"), max_length=32)
    unit_count = models.PositiveSmallIntegerField(_("units"), default=1, validators=[MinValueValidator(1)])

    objects = ScopedManager()

    class Meta:
        ordering = ["community_id", "name"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="building_name_unique"),
            models.CheckConstraint(condition=models.Q(unit_count__gte=1), name="building_unit_count_positive"),
        ]

    def __str__(self):
        return f"{self.community.name}{self.name}"

    @property
    def unit_numbers(self) -> list[int]:
        return list(range(1, self.unit_count + 1))


class CustomerType(models.Model):
    """客户类型, company-wide reference data (居民, 非居民, 低保, ...)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("customer type")
        verbose_name_plural = _("customer types")

    def __str__(self):
        return self.name


class HeatingStatus(models.TextChoices):
    NORMAL = "normal", _("heating")
    SUSPENDED = "suspended", _("suspended")
    FORCED_STOP = "forced_stop", _("forced stop")


class MeteringMode(models.TextChoices):
    AREA = "area", _("area billing")
    METERED = "metered", _("heat metered")


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("mobile")
    LANDLINE = "landline", _("landline")
    INVALID = "invalid", _("invalid")


class ContactKind(models.TextChoices):
    """What the customer's numbers allow; audiences report the last three as skip reasons."""

    MOBILE = "mobile", _("has a mobile")
    LANDLINE = "landline", _("landline only")
    INVALID = "invalid", _("invalid number")
    NONE = "none", _("no phone")


class Customer(models.Model):
    """A household (户)."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="customers",
                                verbose_name=_("heating station"))
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="customers",
                                 verbose_name=_("building"))
    unit = models.PositiveSmallIntegerField(_("unit"))
    room = models.CharField(_("room"), max_length=16)
    account_no = models.CharField(_("account number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, db_index=True)
    customer_type = models.ForeignKey(CustomerType, on_delete=models.PROTECT, related_name="customers",
                                      verbose_name=_("customer type"))
    area = models.DecimalField(_("heated area (m²)"), max_digits=10, decimal_places=2,
                               validators=[MinValueValidator(Decimal("0.01"))])
    heating_status = models.CharField(_("heating status"), max_length=16, choices=HeatingStatus.choices,
                                      default=HeatingStatus.NORMAL)
    metering_mode = models.CharField(_("metering mode"), max_length=16, choices=MeteringMode.choices,
                                     default=MeteringMode.AREA)
    # Denormalised from the phones so audiences filter and skip in one query.
    mobile = models.CharField(_("primary mobile"), max_length=20, blank=True, db_index=True)
    contact_kind = models.CharField(_("contact"), max_length=16, choices=ContactKind.choices,
                                    default=ContactKind.NONE)
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Denormalised from the season accounts (billing services keep them right in
    # the same transaction) so audiences filter 100k customers by arrears in one
    # query and messages read them without touching the ledger.
    due_current = models.DecimalField(_("due this season"), max_digits=12, decimal_places=2,
                                      default=Decimal("0.00"))
    late_fee_total = models.DecimalField(_("late fee owed"), max_digits=12, decimal_places=2,
                                         default=Decimal("0.00"))
    arrears_total = models.DecimalField(_("total owed"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    old_arrears = models.DecimalField(_("old arrears"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    arrears_seasons = models.PositiveSmallIntegerField(_("seasons in arrears"), default=0)
    balance_as_of = models.DateField(_("balance as of"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    BALANCE_FIELDS = ("due_current", "late_fee_total", "arrears_total", "old_arrears", "arrears_seasons",
                      "balance_as_of")

    objects = ScopedManager()

    class Meta:
        ordering = ["account_no"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "room"], name="customer_address_unique"),
            models.CheckConstraint(condition=models.Q(area__gt=0), name="customer_area_positive"),
        ]
        indexes = [
            models.Index(fields=["station", "building", "unit"], name="customer_station_bldg_unit"),
            # a station's households in list order: a search the indexes cannot narrow (one character of a
            # name) walks this station's part only, not every station's households by account number
            models.Index(fields=["station", "account_no"], name="customer_station_account"),
            # Seasons in arrears only: an index on the amounts would make every
            # refresh of 100k customers write index entries (no HOT update);
            # amount ranges filter the rows this index finds.
            models.Index(fields=["arrears_seasons"], name="customer_arrears"),
        ]

    def __str__(self):
        return f"{self.account_no} {self.name}"

    @property
    def address(self) -> str:
        return f"{self.building.community.name}{self.building.name}{self.unit}单元{self.room}"


class CustomerPhone(models.Model):
    """One number a customer left, as typed and as normalised."""

    STATION_LOOKUP = "customer__station"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    raw = models.CharField(_("as entered"), max_length=40)
    number = models.CharField(_("number"), max_length=20, blank=True, help_text=_("E.164 when valid"))
    kind = models.CharField(_("kind"), max_length=16, choices=PhoneKind.choices)
    is_primary = models.BooleanField(_("primary mobile"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ScopedManager()

    class Meta:
        ordering = ["customer_id", "position"]
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        indexes = [models.Index(fields=["number"], name="customer_phone_number")]

    def __str__(self):
        return self.number or self.raw
