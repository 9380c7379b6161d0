// The outage tests stop and start the shared brokers: no other test may use them meanwhile.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace GeminiHooks.Brokers.Tests;

/// <summary>The brokers tests/scripts/brokers.sh started; every test needs them, none is skipped without them.</summary>
public static class Brokers
{
    public static string Redis => Require("GEMINIHOOKS_TEST_REDIS");
    public static string Nats => Require("GEMINIHOOKS_TEST_NATS");
    public static string RabbitMq => Require("GEMINIHOOKS_TEST_RABBITMQ");

    /// <summary>The password each broker was started with (the tests check it never reaches a log line).</summary>
    public static string Secret(string broker) => broker switch
    {
        "redis" => Redis[(Redis.IndexOf("password=", StringComparison.Ordinal) + "password=".Length)..],
        "nats" => new Uri(Nats).UserInfo.Split(':')[1],
        _ => new Uri(RabbitMq).UserInfo.Split(':')[1],
    };

    static string Require(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{name} is not set: run eval \"$(tests/scripts/brokers.sh start)\" first");

    /// <summary>Stops (keeping its data) or starts one broker, through the script that started it.</summary>
    public static async Task ScriptAsync(string command, string broker)
    {
        var script = Environment.GetEnvironmentVariable("GEMINIHOOKS_TEST_BROKERS_SCRIPT")
            ?? throw new InvalidOperationException("GEMINIHOOKS_TEST_BROKERS_SCRIPT is not set");
        string[] arguments = command == "stop" ? [script, "stop", "--keep", broker] : [script, "start", broker];
        var (code, output) = await ChildProcess.RunAsync("bash", arguments, Environment.CurrentDirectory, TimeSpan.FromSeconds(90));
        Assert.True(code == 0, $"brokers.sh {string.Join(' ', arguments[1..])} failed: {output}");
    }
}
