"""The shapes of analytics' answers."""

from rest_framework import serializers


class RentSerializer(serializers.Serializer):
    city = serializers.CharField()
    bedrooms = serializers.IntegerField()
    currency = serializers.CharField()
    month = serializers.DateField(
        help_text="First day of the month the listings were first published"
    )
    listings = serializers.IntegerField()
    median = serializers.FloatField()
    p90 = serializers.FloatField()


class RentsSerializer(serializers.Serializer):
    results = RentSerializer(many=True)


class WeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The Monday of the ISO week")
    published = serializers.IntegerField(help_text="Listings first published that week")
    let = serializers.IntegerField(help_text="Listings let that week")


class ActivitySerializer(serializers.Serializer):
    results = WeekSerializer(many=True)


class FunnelSerializer(serializers.Serializer):
    submitted = serializers.IntegerField(help_text="Every application ever submitted")
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    closed = serializers.IntegerField(
        help_text="The listing went to someone else or left the market"
    )
    open = serializers.IntegerField(help_text="Not decided yet")


class TimeToLetSerializer(serializers.Serializer):
    city = serializers.CharField()
    let = serializers.IntegerField()
    median_days = serializers.FloatField()
    p90_days = serializers.FloatField()


class TimesToLetSerializer(serializers.Serializer):
    results = TimeToLetSerializer(many=True)
