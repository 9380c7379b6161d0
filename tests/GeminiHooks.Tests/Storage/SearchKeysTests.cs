using System.Text;
using GeminiHooks.Storage.Kit;

namespace GeminiHooks.Tests.Storage;

public sealed class SearchKeysTests
{
    static IReadOnlyList<KeyValuePair<string, string>> Keys(string json) => SearchKeys.Extract(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void The_job_and_each_metadata_entry_are_keys()
    {
        var keys = Keys("""{"type":"batch.succeeded","data":{"id":"batches/b1","user_metadata":{"team":"ml","n":3}}}""");
        Assert.Equal(SearchKeys.Job("b1"), keys.Single(k => k.Key == SearchKeys.JobKey).Value);
        Assert.Contains(new KeyValuePair<string, string>("meta.team", "ml"), keys);
        Assert.Contains(new KeyValuePair<string, string>("meta.n", "3"), keys);
    }

    [Fact]
    public void A_binding_token_is_never_a_key_whatever_its_metadata_name()
    {
        var keys = Keys("""
            {"type":"batch.succeeded","data":{"id":"batches/b1","user_metadata":{"geminihooks_token":"gh1.1767225600.abc.def","my_token":"gh1.1.x.y","team":"ml"}}}
            """);
        Assert.DoesNotContain(keys, k => k.Value.StartsWith("gh1.", StringComparison.Ordinal));
        Assert.Contains(new KeyValuePair<string, string>("meta.team", "ml"), keys);
    }
}
