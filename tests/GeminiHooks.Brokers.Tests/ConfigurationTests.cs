using GeminiHooks.Configuration;
using GeminiHooks.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Brokers.Tests;

public class ConfigurationTests
{
    [Theory]
    [InlineData("redis", null, null, "GeminiHooks:Handlers:bus:ConnectionString is required for Type 'redis'")]
    [InlineData("redis", "ConnectionString", ",,,", "GeminiHooks:Handlers:bus:ConnectionString is not a StackExchange.Redis configuration naming a server")]
    [InlineData("redis", "MaxLength", "0", "GeminiHooks:Handlers:bus:MaxLength must be positive")]
    [InlineData("nats", null, null, "GeminiHooks:Handlers:bus:Url is required for Type 'nats'")]
    [InlineData("nats", "Url", "http://user:hunter2@127.0.0.1:4222", "GeminiHooks:Handlers:bus:Url is not a NATS URL")]
    [InlineData("nats", "Subject", "gemini.*", "GeminiHooks:Handlers:bus:Subject is not a NATS subject")]
    [InlineData("nats", "Stream", "gemini.events", "GeminiHooks:Handlers:bus:Stream is not a JetStream stream name")]
    [InlineData("rabbitmq", null, null, "GeminiHooks:Handlers:bus:Uri is required for Type 'rabbitmq'")]
    [InlineData("rabbitmq", "Uri", "amqp//guest:hunter2@localhost", "GeminiHooks:Handlers:bus:Uri is not an AMQP URI")]
    [InlineData("rabbitmq", "Format", "xml", "GeminiHooks:Handlers:bus:Format 'xml' is unknown (one of envelope, cloudevents)")]
    [InlineData("http", "Format", "cloudevent", "GeminiHooks:Handlers:bus:Format 'cloudevent' is unknown (one of envelope, cloudevents)")]
    [InlineData("kafka", null, null, "GeminiHooks:Handlers:bus:Type 'kafka' is unknown (one of log, jsonl, http, slack, redis, nats, rabbitmq)")]
    public async Task Invalid_settings_stop_the_start_with_one_line_naming_the_key_and_never_echo_a_password(
        string type, string? key, string? value, string expected)
    {
        var connection = type switch
        {
            "redis" => new Dictionary<string, string?> { ["ConnectionString"] = "127.0.0.1:6379,password=hunter2" },
            "nats" => new() { ["Url"] = "nats://user:hunter2@127.0.0.1:4222" },
            "rabbitmq" => new() { ["Uri"] = "amqp://guest:hunter2@127.0.0.1:5672/" },
            "http" => new() { ["Url"] = "https://example.com/hook", ["Secret"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
            _ => new(),
        };
        if (value is null && key is null)
            connection.Clear();
        var settings = new Dictionary<string, string?> { ["GeminiHooks:Handlers:bus:Type"] = type };
        foreach (var (k, v) in connection)
            settings["GeminiHooks:Handlers:bus:" + k] = v;
        if (key is not null)
            settings["GeminiHooks:Handlers:bus:" + key] = value;

        var dir = Directory.CreateTempSubdirectory("geminihooks-brokers-config-").FullName;
        try
        {
            await using var store = new SqliteEventStore(new StoreOptions { ConnectionString = $"Data Source={dir}/events.db" },
                TimeProvider.System, NullLogger<SqliteEventStore>.Instance);
            await store.InitializeAsync(CancellationToken.None);
            await using var app = BrokerTestHost.Build(settings, store, new CapturedLogs());
            var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
            var line = Assert.Single(failure.Failures);
            Assert.StartsWith(expected, line, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", line, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
