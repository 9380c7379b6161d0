using GeminiHooks.Dispatch;
using GeminiHooks.Http;
using GeminiHooks.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace GeminiHooks.Admin;

/// <summary>
/// <c>/admin/handlers</c>: each handler with its flow settings, its pairs and whether it is paused; pause and resume.
/// The pause is kept in the store, so it holds for every replica and across restarts.
/// </summary>
static class AdminHandlerEndpoints
{
    public const string Active = HandlerFlowState.Active;
    public const string Paused = HandlerFlowState.Paused;

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/handlers", ListAsync);
        admin.MapPost("/handlers/{name}/pause", (string name, HandlerCatalog catalog, IEventStore store, CancellationToken ct) =>
            SetPausedAsync(name, paused: true, catalog, store, ct));
        admin.MapPost("/handlers/{name}/resume", (string name, HandlerCatalog catalog, IEventStore store, CancellationToken ct) =>
            SetPausedAsync(name, paused: false, catalog, store, ct));
    }

    static async Task<IResult> ListAsync(HandlerCatalog catalog, IEventStore store, CancellationToken cancellationToken)
    {
        var handlers = catalog.All;
        var states = await store.GetHandlerStatesAsync(handlers.Select(h => h.Name).ToArray(), cancellationToken);
        var list = handlers.Zip(states, (handler, state) => new AdminHandler(handler.Name, handler.Type,
            StateOf(state), state.PausedAt,
            new AdminHandlerRetry(handler.Flow.MaxAttempts, handler.Flow.BaseDelay, handler.Flow.MaxDelay), handler.Flow.Concurrency,
            handler.Flow.FailureThreshold > 0 ? new AdminCircuitBreaker(handler.Flow.FailureThreshold, handler.Flow.BreakDuration,
                state.Failures, state.Circuit == HandlerState.Closed ? null : state.CircuitUntil) : null,
            handler.Flow.RateLimited ? new AdminRateLimit(handler.Flow.RatePerSecond, handler.Flow.RateBurst) : null,
            state.Pending, state.Running, state.Dead, state.LastError)).ToList();
        return TypedResults.Json(new AdminHandlerList(list), AdminHandlerJsonContext.Default.AdminHandlerList);
    }

    static string StateOf(HandlerState state) => HandlerFlowState.Of(state);

    // Only handlers the catalog knows: a typo must not pause a name no handler has (and leave the real one running).
    static async Task<IResult> SetPausedAsync(string name, bool paused, HandlerCatalog catalog, IEventStore store,
        CancellationToken cancellationToken)
    {
        if (catalog.Find(name) is null)
            return ProblemResponse.Result(StatusCodes.Status404NotFound, "No handler has this name.");
        await store.SetHandlerPausedAsync(name, paused, cancellationToken);
        return TypedResults.Json(new AdminHandlerStateChange(name, paused ? Paused : Active),
            AdminHandlerJsonContext.Default.AdminHandlerStateChange);
    }
}
