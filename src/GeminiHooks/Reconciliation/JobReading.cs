using System.Text.Json.Nodes;

namespace GeminiHooks.Reconciliation;

/// <summary>What a job resource from the Gemini API says: still running, or ended with an event type (or none).</summary>
internal sealed record JobReading(bool Ended, string State, string? EventType, JsonObject? Data);
