using System.Text.Json;

namespace GeminiHooks.Brokers.Tests;

/// <summary>One broker under test: a fresh stream, subject or exchange per test, and how the Node reader gets it back.</summary>
public sealed class BrokerTarget
{
    readonly string _suffix = Guid.NewGuid().ToString("N")[..10];

    public BrokerTarget(string broker) => Broker = broker;

    public string Broker { get; }

    /// <summary>Redis and NATS drop a repeated (endpoint, webhook-id) on the server; RabbitMQ cannot.</summary>
    public bool DeduplicatesOnServer => Broker != "rabbitmq";

    public Dictionary<string, string?> Settings(string format = "envelope") => Broker switch
    {
        "redis" => new() { ["Type"] = "redis", ["ConnectionString"] = Brokers.Redis, ["Stream"] = $"geminihooks:test:{_suffix}", ["Format"] = format },
        "nats" => new() { ["Type"] = "nats", ["Url"] = Brokers.Nats, ["Subject"] = $"gh{_suffix}.<type>", ["Stream"] = $"GH{_suffix}", ["Format"] = format },
        _ => new() { ["Type"] = "rabbitmq", ["Uri"] = Brokers.RabbitMq, ["Exchange"] = $"gh{_suffix}", ["Format"] = format },
    };

    /// <summary>RabbitMQ keeps only what a bound queue takes: bind one before anything is published.</summary>
    public async Task PrepareAsync()
    {
        if (Broker == "rabbitmq")
            await NodeReader.ReadAsync("rabbitmq-bind", Brokers.RabbitMq, $"gh{_suffix}", $"q{_suffix}");
    }

    public Task<List<JsonElement>> ReadAsync() => Broker switch
    {
        "redis" => NodeReader.ReadAsync("redis", Brokers.Redis, $"geminihooks:test:{_suffix}"),
        "nats" => NodeReader.ReadAsync("nats", Brokers.Nats, $"GH{_suffix}"),
        _ => NodeReader.ReadAsync("rabbitmq", Brokers.RabbitMq, $"q{_suffix}"),
    };
}
