using System.Text;
using GeminiHooks.Storage.Kit;

namespace GeminiHooks.Tests.Storage;

public sealed class SearchKeysTests
{
    static EventKeys Extract(string json) => SearchKeys.Extract(Encoding.UTF8.GetBytes(json));

    static IReadOnlyList<KeyValuePair<string, string>> Keys(string json) => Extract(json).Metadata;

    [Fact]
    public void The_job_and_each_metadata_entry_are_keys()
    {
        var extracted = Extract("""{"type":"batch.succeeded","data":{"id":"batches/b1","user_metadata":{"team":"ml","n":3}}}""");
        Assert.Equal("b1", extracted.Job);
        Assert.Equal(SearchKeys.Job("batches/b1"), extracted.Job);
        var keys = extracted.Metadata;
        Assert.Equal(2, keys.Count);
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

    [Fact]
    public void A_body_without_a_job_or_metadata_has_none()
    {
        Assert.Same(EventKeys.None, Extract("""{"type":"batch.succeeded","data":{"output":"x"}}"""));
        Assert.Same(EventKeys.None, Extract("[1,2]"));
        Assert.Same(EventKeys.None, Extract("not json"));
    }

    [Fact]
    public void At_most_MaxMetadata_entries_are_kept_and_the_top_level_wins()
    {
        var entries = string.Join(',', Enumerable.Range(0, SearchKeys.MaxMetadata + 10).Select(i => $"\"k{i}\":\"v{i}\""));
        var extracted = Extract("""{"user_metadata":{"a":"top",""" + entries + """},"data":{"id":"batches/b3","user_metadata":{"a":"inner"}}}""");
        Assert.Equal(SearchKeys.MaxMetadata, extracted.Metadata.Count);
        Assert.Contains(new KeyValuePair<string, string>("meta.a", "top"), extracted.Metadata);
        Assert.Equal("b3", extracted.Job);
    }
}
