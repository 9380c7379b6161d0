using GeminiHooks.Storage;

namespace GeminiHooks.Dispatch;

/// <summary>The one state an operator sees for a handler (the admin API, the CLI, the dashboard, the state gauge).</summary>
static class HandlerFlowState
{
    public const string Active = "active";
    public const string Paused = "paused";

    /// <summary>Every state, in the order the gauge and the docs list them.</summary>
    public static readonly string[] All = [Active, Paused, HandlerState.Open, HandlerState.HalfOpen];

    /// <summary>A pause wins over the circuit, which is the dispatcher's own doing; a closed circuit is active.</summary>
    public static string Of(HandlerState state) =>
        state.Paused ? Paused : state.Circuit is HandlerState.Open or HandlerState.HalfOpen ? state.Circuit : Active;
}
