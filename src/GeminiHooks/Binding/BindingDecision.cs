namespace GeminiHooks.Binding;

/// <summary>
/// The binder's answer. <see cref="Reason"/> is a stable code for metrics and the problem body (never secret
/// material); <see cref="Detail"/> the sentence an operator reads.
/// </summary>
readonly record struct BindingDecision(BindingVerdict Verdict, string? Reason = null, string? Detail = null)
{
    public static BindingDecision Bound { get; } = new(BindingVerdict.Bound);
}
