using System.Text.Json;

namespace GeminiHooks.Brokers.Tests;

/// <summary>Runs tests/js/broker-read.mjs: the official Node client of each broker reads back what was published.</summary>
public static class NodeReader
{
    public static async Task<List<JsonElement>> ReadAsync(params string[] arguments)
    {
        var (code, output) = await ChildProcess.RunAsync("node", ["broker-read.mjs", .. arguments], Repository.JsDirectory,
            TimeSpan.FromSeconds(60));
        Assert.True(code == 0, "broker-read.mjs failed: " + output);
        using var document = JsonDocument.Parse(output);
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
