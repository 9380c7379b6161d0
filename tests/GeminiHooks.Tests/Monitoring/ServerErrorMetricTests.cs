using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using GeminiHooks.Storage;
using GeminiHooks.Tests.Operations;
using GeminiHooks.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Tests.Monitoring;

/// <summary>
/// geminihooks_server_errors_total (the GeminiHooksServerErrors alert) counts a 5xx other than 503 the client got, on
/// any path, and not the promised 503s; geminihooks_ready follows the store.
/// </summary>
public class ServerErrorMetricTests
{
    const string AdminKey = "server-errors-admin-key";

    [Fact]
    public async Task A_500_from_an_unexpected_store_exception_is_counted_and_a_503_is_not()
    {
        using var data = new TempDirectory();
        var failure = new StoreFailure();
        using var receiver = new Receiver(data.Path, new Dictionary<string, string?> { ["GeminiHooks:Admin:ApiKey"] = AdminKey },
            configureServices: services => failure.Wrap(services));
        using var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        // The first scrape starts the watched series at zero; the ready gauge reads the store once counted.
        await client.GetStringAsync("/metrics");
        var scrape = await WaitForAsync(client, "geminihooks_ready", 1);
        Assert.Contains("geminihooks_server_errors_total{", scrape, StringComparison.Ordinal);
        Assert.Equal(0, Prometheus.Value(scrape, "geminihooks_server_errors_total"));

        failure.Next = () => new StoreUnavailableException("the database is down", new IOException());
        using (var unavailable = await client.GetAsync("/admin/backlog"))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        // A scrape taken after the 503 (it shows the store down) still counts no server error.
        scrape = await WaitForAsync(client, "geminihooks_ready", 0);
        Assert.Equal(0, Prometheus.Value(scrape, "geminihooks_server_errors_total"));

        failure.Next = () => new InvalidOperationException("a bug in the store");
        using (var broken = await client.GetAsync("/admin/backlog"))
            Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
        failure.Next = null;
        scrape = await WaitForAsync(client, "geminihooks_ready", 1);
        Assert.Equal(1, Prometheus.Value(scrape, "geminihooks_server_errors_total"));
    }

    /// <summary>
    /// Scrapes until the metric reads <paramref name="expected"/> and returns that scrape. Both the backlog count behind
    /// ready (5 s) and the exporter's answer (a fraction of a second) are cached, so a single scrape may be stale.
    /// </summary>
    static async Task<string> WaitForAsync(HttpClient client, string metric, double expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var scrape = await client.GetStringAsync("/metrics");
            if (Prometheus.Value(scrape, metric) == expected)
                return scrape;
            Assert.True(DateTime.UtcNow < deadline, $"{metric} never read {expected}");
            await Task.Delay(200);
        }
    }

    /// <summary>The real store, whose backlog count throws what <see cref="Next"/> makes while it is set.</summary>
    sealed class StoreFailure
    {
        public volatile Func<Exception>? Next;

        public void Wrap(IServiceCollection services)
        {
            var original = services.Last(d => d.ServiceType == typeof(IEventStore));
            services.Remove(original);
            services.AddSingleton(sp =>
            {
                var inner = (IEventStore)original.ImplementationFactory!(sp);
                var proxy = DispatchProxy.Create<IEventStore, FailingCount>();
                ((FailingCount)(object)proxy).Init(inner, this);
                return proxy;
            });
        }
    }

    public class FailingCount : DispatchProxy
    {
        IEventStore _inner = null!;
        StoreFailure _failure = null!;

        internal void Init(IEventStore inner, object failure)
        {
            _inner = inner;
            _failure = (StoreFailure)failure;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IEventStore.CountAsync) && _failure.Next is { } make)
                return Task.FromException<BacklogCounts>(make());
            try { return targetMethod.Invoke(_inner, args); }
            catch (TargetInvocationException e) { throw e.InnerException!; }
        }
    }
}
