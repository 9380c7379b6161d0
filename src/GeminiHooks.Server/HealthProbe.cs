using System.Globalization;

namespace GeminiHooks.Server;

/// <summary>
/// <c>dotnet GeminiHooks.Server.dll healthcheck</c>: the container HEALTHCHECK. The runtime image has no curl or wget,
/// so the binary probes its own <c>/healthz</c> on the first port of ASPNETCORE_HTTP_PORTS (default 8080).
/// </summary>
static class HealthProbe
{
    public static async Task<int> RunAsync()
    {
        var ports = Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS") ?? "8080";
        var port = int.Parse(ports.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"));
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync("healthcheck: " + e.Message);
            return 1;
        }
    }
}
