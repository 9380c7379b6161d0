using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using GeminiHooks.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Server.Tests.Monitoring;

/// <summary>
/// geminihooks.server_errors (the GeminiHooksServerErrors alert) counts a 5xx other than 503 the client got, on
/// any path, and not the promised 503s; geminihooks.ready follows the store.
/// </summary>
public class ServerErrorMetricTests
{
    const string AdminKey = "server-errors-admin-key-01234567";

    [Fact]
    public async Task A_500_from_an_unexpected_store_exception_is_counted_and_a_503_is_not()
    {
        using var data = new TempDirectory();
        var failure = new StoreFailure();
        using var receiver = new Receiver(data.Path, new Dictionary<string, string?> { ["GeminiHooks:Admin:ApiKey"] = AdminKey },
            configureServices: services => failure.Wrap(services));
        using var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        // Read this host's instruments only: other tests run receivers in this process, with meters of the same name.
        using var meter = new HostMeter(receiver.Services.GetRequiredService<IMeterFactory>());

        await meter.WaitForReadyAsync(1);
        Assert.Equal(0, meter.ServerErrors);

        failure.Next = () => new StoreUnavailableException("the database is down", new IOException());
        using (var unavailable = await client.GetAsync("/admin/backlog"))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        await meter.WaitForReadyAsync(0);
        Assert.Equal(0, meter.ServerErrors);

        failure.Next = () => new InvalidOperationException("a bug in the store");
        using (var broken = await client.GetAsync("/admin/backlog"))
            Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
        failure.Next = null;
        await meter.WaitForReadyAsync(1);
        // The count is made as the middleware unwinds, which may be just after the client has the answer: wait for it.
        // One in all: the 503 before it was not counted.
        await Eventually.UntilAsync(() => meter.ServerErrors > 0, "the 500 is counted", TimeSpan.FromSeconds(10));
        await Task.Delay(200); // time for a second count, which must not come
        Assert.Equal(1, meter.ServerErrors);
    }

    /// <summary>A listener on one host's GeminiHooks meter: the server-error count and the last readiness reading.</summary>
    sealed class HostMeter : IDisposable
    {
        readonly MeterListener _listener = new();
        long _serverErrors;
        long _ready = -1;

        public HostMeter(IMeterFactory factory)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Name is "geminihooks.server_errors" or "geminihooks.ready")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            {
                if (instrument.Name == "geminihooks.ready")
                    Interlocked.Exchange(ref _ready, value);
                else
                    Interlocked.Add(ref _serverErrors, value);
            });
            _listener.Start();
        }

        public long ServerErrors => Interlocked.Read(ref _serverErrors);

        /// <summary>Observes the gauge until it reads <paramref name="expected"/> (the backlog count behind it is cached 5 s).</summary>
        public async Task WaitForReadyAsync(long expected)
        {
            await Eventually.UntilAsync(() =>
            {
                _listener.RecordObservableInstruments();
                return Interlocked.Read(ref _ready) == expected;
            }, $"geminihooks.ready reads {expected}", TimeSpan.FromSeconds(20));
        }

        public void Dispose() => _listener.Dispose();
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
