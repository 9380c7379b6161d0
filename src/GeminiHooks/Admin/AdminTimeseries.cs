namespace GeminiHooks.Admin;

/// <summary>
/// The last hour in one-minute buckets, oldest first (the last one is the current, partial minute). <see cref="Scope"/>
/// is "replica": with several replicas each answers with its own deliveries and handler runs.
/// </summary>
sealed record AdminTimeseries(int BucketSeconds, string Scope, string Replica, IReadOnlyList<AdminTimeseriesMinute> Minutes);
