namespace GeminiHooks.Postgres.Tests;

/// <summary>
/// Every test class that uses the shared PostgreSQL server: the outage tests stop and restart it, so no other class may
/// run beside them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedPostgresServer
{
    public const string Name = "PostgreSQL server";
}
