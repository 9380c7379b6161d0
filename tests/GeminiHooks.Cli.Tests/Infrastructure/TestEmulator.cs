using GeminiHooks.Cli.Emulator;

namespace GeminiHooks.Cli.Tests.Infrastructure;

internal static class TestEmulator
{
    /// <summary>An emulator on a free loopback port with test-sized retry delays.</summary>
    public static Task<EmulatorHost> StartAsync(int maxAttempts = 3, TimeSpan? retryBaseDelay = null, TimeSpan? deliveryTimeout = null) =>
        EmulatorHost.StartAsync(new EmulatorOptions
        {
            Port = 0,
            Retry = RetrySchedule.Fast with { MaxAttempts = maxAttempts, BaseDelay = retryBaseDelay ?? TimeSpan.FromMilliseconds(100) },
            DeliveryTimeout = deliveryTimeout ?? TimeSpan.FromSeconds(5),
        }, TextWriter.Null, CancellationToken.None);

    public static string Root(this EmulatorHost host) => host.Address.ToString().TrimEnd('/');
}
