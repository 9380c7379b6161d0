namespace GeminiHooks.Admin;

/// <summary>A handler's rate limit: runs started per second and the bucket's size, in each replica.</summary>
sealed record AdminRateLimit(double PerSecond, int Burst);
