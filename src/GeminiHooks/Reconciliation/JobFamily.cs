namespace GeminiHooks.Reconciliation;

/// <summary>The job families whose end Gemini announces, and what a job's id is matched on.</summary>
public static class JobFamily
{
    public const string Batch = "batch";
    public const string Video = "video";
    public const string Interaction = "interaction";
}
