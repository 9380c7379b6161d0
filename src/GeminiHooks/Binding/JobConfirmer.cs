using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Configuration;
using GeminiHooks.Events;
using GeminiHooks.Gemini;
using GeminiHooks.Reconciliation;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Binding;

/// <summary>
/// <c>Confirm</c> mode: reads the job a dynamic delivery names (<c>data.id</c>) with the operator's Gemini API key, so
/// only deliveries about the operator's own jobs pass. One GET per job, without retries (Gemini retries the delivery);
/// a reading answers for every delivery of that job for <c>ConfirmCacheTime</c>, and a cached reading that disagrees is
/// read again once, since a job that was running a moment ago may just have ended.
/// </summary>
sealed class JobConfirmer(GeminiApiClient gemini, IOptionsMonitor<GeminiHooksOptions> options, TimeProvider time)
{
    const int MaxCached = 10_000;
    readonly ConcurrentDictionary<string, CachedJob> _cache = new(StringComparer.Ordinal);

    sealed record CachedJob(JsonObject? Resource, DateTimeOffset Expires);

    public async ValueTask<Confirmation> ConfirmAsync(string eventType, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (JobNames.FamilyOf(eventType) is not { } family || ResourceName(family, DataId(body.Span)) is not { } name)
            return Confirmation.NoJob;
        var settings = options.CurrentValue.Dynamic.Binding;
        var fromCache = _cache.TryGetValue(name, out var job) && job.Expires > time.GetUtcNow();
        if (!fromCache)
        {
            job = await ReadAsync(name, settings, cancellationToken);
            if (job is null)
                return Confirmation.Unavailable;
        }
        var verdict = Agrees(eventType, family, name, job!.Resource);
        if (verdict == Confirmation.Confirmed || !fromCache)
            return verdict;
        job = await ReadAsync(name, settings, cancellationToken);
        return job is null ? Confirmation.Unavailable : Agrees(eventType, family, name, job.Resource);
    }

    /// <summary>The job's resource (null when the key cannot read it), cached; null when the API gave no usable answer.</summary>
    async Task<CachedJob?> ReadAsync(string name, DynamicBindingOptions settings, CancellationToken cancellationToken)
    {
        var response = await gemini.GetOnceAsync(name, settings.ConfirmTimeout, cancellationToken);
        JsonObject? resource;
        if (response.Ok && response.Body is { } found)
            resource = found;
        else if (response.Status is 400 or 403 or 404)
            resource = null; // another project's job reads as 403 or 404: not the operator's
        else
            return null;
        var job = new CachedJob(resource, time.GetUtcNow() + settings.ConfirmCacheTime);
        if (_cache.Count >= MaxCached)
            Trim();
        _cache[name] = job;
        return job;
    }

    /// <summary>Drops expired readings; when every reading is fresh, all of them (a burst of distinct jobs).</summary>
    void Trim()
    {
        var now = time.GetUtcNow();
        foreach (var (name, cached) in _cache)
        {
            if (cached.Expires <= now)
                _cache.TryRemove(name, out _);
        }
        if (_cache.Count >= MaxCached)
            _cache.Clear();
    }

    /// <summary>
    /// A terminal event agrees with a job that ended that way (the mapping reconciliation uses); a cancellation event
    /// with a job that ended cancelled. Other events of a family (<c>interaction.requires_action</c>) only need the job
    /// to exist: the state they announce can be left within seconds, when the action is answered.
    /// </summary>
    static Confirmation Agrees(string eventType, string family, string name, JsonObject? resource)
    {
        if (resource is null)
            return Confirmation.NotFound;
        if (!JobNames.IsTerminal(eventType))
            return Confirmation.Confirmed;
        var reading = JobResources.Read(family, name, resource);
        if (!reading.Ended)
            return Confirmation.StateMismatch;
        var canonical = GeminiEventTypes.Canonical(eventType);
        if (canonical is GeminiEventTypes.BatchCancelled or GeminiEventTypes.InteractionCancelled)
            return reading.EventType is null && reading.State.Contains("cancelled", StringComparison.OrdinalIgnoreCase)
                ? Confirmation.Confirmed
                : Confirmation.StateMismatch;
        return string.Equals(reading.EventType, canonical, StringComparison.Ordinal) ? Confirmation.Confirmed : Confirmation.StateMismatch;
    }

    /// <summary>The delivery's <c>data.id</c>, or null.</summary>
    internal static string? DataId(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object &&
                   document.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object &&
                   data.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// The resource name to read: <c>data.id</c> as a full name of the event's family, or a bare batch or interaction id
    /// with the family's collection prepended (a bare video id names no model, so it cannot be read). Each segment is
    /// restricted to the characters resource ids use, so an id never reaches another path of the API.
    /// </summary>
    internal static string? ResourceName(string family, string? id)
    {
        if (id is null || id.Length > 512)
            return null;
        var name = id.Contains('/', StringComparison.Ordinal) ? id : family switch
        {
            JobFamily.Batch => "batches/" + id,
            JobFamily.Interaction => "interactions/" + id,
            _ => null,
        };
        if (name is null || name.Split('/').Any(s => s is "" or "." or ".." || s.AsSpan().ContainsAnyExcept(IdCharacters)))
            return null;
        return JobNames.Parse(name) is { } key && key.Family == family ? name : null;
    }

    static readonly System.Buffers.SearchValues<char> IdCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");
}
