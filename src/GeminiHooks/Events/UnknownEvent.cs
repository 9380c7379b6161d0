namespace GeminiHooks.Events;

/// <summary>Any type this version does not know. New Gemini types arrive this way instead of being rejected.</summary>
public sealed record UnknownEvent : GeminiEvent;
