namespace GeminiHooks.Handlers;

/// <summary>What a forwarding handler puts on the wire (<c>Format</c>).</summary>
public enum EventFormat
{
    /// <summary>The Gemini event JSON exactly as received and verified.</summary>
    Envelope,

    /// <summary>A CloudEvents 1.0 event in structured JSON mode.</summary>
    CloudEvents,
}
