using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using GeminiHooks.Binding;
using GeminiHooks.Configuration;
using GeminiHooks.Events;
using GeminiHooks.Ingest;
using GeminiHooks.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Bench.Micro;

/// <summary>
/// The per-request cost of each ingest step other than the signature and the store (issue 21's suspects): the
/// headers step, the body read, the envelope walk (every string checked for Unicode), the binding check of a dynamic
/// delivery, the recent-ids window, and the metrics of one answered delivery with a listener on every instrument (as
/// an exporter is). One delivery per operation, on a realistic ~250-byte envelope.
/// </summary>
[MemoryDiagnoser]
public class IngestStepBenchmarks
{
    const string BindingKey = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    static readonly DateTimeOffset Now = new(2026, 11, 23, 3, 0, 0, TimeSpan.Zero);

    byte[] _body = [];
    byte[] _boundBody = [];
    DefaultHttpContext _headersContext = null!;
    DynamicBindingOptions _binding = null!;
    string _token = "";
    byte[][] _decodedKeys = [];
    RecentDeliveries _recent = null!;
    string[] _ids = [];
    int _next;
    ServiceProvider _services = null!;
    GeminiHooksMetrics _metrics = null!;
    MeterListener _listener = null!;
    long _measured;

    [GlobalSetup]
    public void Setup()
    {
        _body = Encoding.UTF8.GetBytes(
            """{"type":"batch.succeeded","version":"v1","timestamp":"2026-11-23T03:00:00Z","data":{"id":"batches/abc123","output_file_uri":"gs://bucket/batches/abc123/output.jsonl"}}""");
        var token = BindingToken.Mint(BindingKey, Now.AddDays(2));
        _boundBody = Encoding.UTF8.GetBytes(
            $$$"""{"type":"batch.succeeded","version":"v1","timestamp":"2026-11-23T03:00:00Z","data":{"id":"batches/abc123","output_file_uri":"gs://bucket/batches/abc123/output.jsonl"},"user_metadata":{"geminihooks_token":"{{{token}}}"}}""");
        _binding = new DynamicBindingOptions { Keys = [BindingKey] };
        _token = token;
        _decodedKeys = [GeminiHooks.Verification.StandardWebhooks.DecodeSecret(BindingKey)];

        _headersContext = new DefaultHttpContext();
        _headersContext.Request.ContentLength = _body.Length;
        _headersContext.Request.Headers["webhook-id"] = "msg_2mR8QmU4kX0wq7bNf3";
        _headersContext.Request.Headers["webhook-timestamp"] = Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        _headersContext.Request.Headers["webhook-signature"] = "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=";

        _recent = new RecentDeliveries();
        _ids = Enumerable.Range(0, 1 << 20).Select(i => "msg_" + i.ToString(CultureInfo.InvariantCulture)).ToArray();

        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _metrics = new GeminiHooksMetrics(_services.GetRequiredService<IMeterFactory>(), TimeProvider.System);
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == GeminiHooksMetrics.MeterName)
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _measured, value));
        _listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _measured));
        _listener.Start();

        if (DeliveryBinding.Check(_binding, _boundBody, Now, out _) is not null || !Envelope())
            throw new InvalidOperationException("a benchmark input is refused");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    [Benchmark(Description = "headers step (DeliveryHeaders.Check)")]
    public bool Headers() =>
        DeliveryHeaders.Check(_headersContext.Request, dynamic: false, 262_144, TimeSpan.FromMinutes(5), Now.ToUnixTimeSeconds(), out _) is null;

    [Benchmark(Description = "body read into a pooled buffer (RequestBody.ReadAsync)")]
    public async Task<int> Body()
    {
        var context = new DefaultHttpContext();
        context.Request.ContentLength = _body.Length;
        context.Request.Body = new MemoryStream(_body, writable: false);
        using var body = await RequestBody.ReadAsync(context, 262_144);
        return body.Memory.Length;
    }

    [Benchmark(Description = "envelope walk (EnvelopeReader.TryReadType)")]
    public bool Envelope() => EnvelopeReader.TryReadType(_body, out _, out _) == EnvelopeReader.Problem.None;

    [Benchmark(Description = "binding check, one key (DeliveryBinding.Check)")]
    public bool Binding() => DeliveryBinding.Check(_binding, _boundBody, Now, out _) is null;

    [Benchmark(Description = "binding: the token's MAC alone (BindingToken.Check, key decoded)")]
    public bool BindingMac() => GeminiHooks.Binding.BindingToken.Check(_token, _decodedKeys, Now) == BindingTokenState.Valid;

    [Benchmark(Description = "binding: decoding the key alone (StandardWebhooks.DecodeSecret)")]
    public int BindingKeyDecode() => GeminiHooks.Verification.StandardWebhooks.DecodeSecret(BindingKey).Length;

    [Benchmark(Description = "recent-ids window, a miss then an add (RecentDeliveries)")]
    public bool Recent()
    {
        var id = _ids[_next++ & (_ids.Length - 1)];
        var seen = _recent.Contains(DeliveryEndpoints.Static, id);
        _recent.Add(DeliveryEndpoints.Static, id);
        return seen;
    }

    [Benchmark(Description = "metrics of one accepted delivery, listened to (GeminiHooksMetrics.Delivery)")]
    public void Metrics() =>
        _metrics.Delivery(null, DeliveryEndpoints.Static, new IngestResult(DeliveryOutcome.Accepted, null, "msg_1", "batch.succeeded"),
            TimeSpan.FromMilliseconds(1));
}
