using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace GeminiHooks.Server.Tests.Reconciliation;

/// <summary>
/// Only names the Gemini API could have formed are tracked: a name whose id leaves the API's id alphabet (letters,
/// digits, '-' and '_') is refused with a 400 problem naming the field, through the operator API and through
/// <c>geminihooks track</c>, and nothing is tracked or polled.
/// </summary>
[Collection(ReconciliationServerTests.Collection)]
public sealed class JobNameValidationTests : IDisposable
{
    readonly TempDirectory _data = new();
    readonly Receiver _receiver;
    readonly HttpClient _client;

    public JobNameValidationTests()
    {
        // No Gemini API answers here: a job tracked by mistake would be polled, and fail, but never be refused.
        _receiver = new Receiver(_data.Path, ReconciliationServerTests.Settings("http://127.0.0.1:9", _data.Path));
        _client = _receiver.Start();
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ReconciliationServerTests.AdminKey);
    }

    public void Dispose()
    {
        _client.Dispose();
        _receiver.Dispose();
        _data.Dispose();
    }

    [Theory]
    [InlineData("batches/a b")]
    [InlineData("batches/a%20b")]
    [InlineData("batches/a.b")]
    [InlineData("batches/")]
    [InlineData("batches/a/b")]
    [InlineData("batches/abc\u00e9")]
    [InlineData("models/veo 3/operations/op1")]
    [InlineData("models/veo-3.0-generate-001/operations/op:1")]
    [InlineData("interactions/v1_abc!")]
    [InlineData("interactions/v1_abc\n")]
    public async Task A_name_the_api_could_not_have_formed_is_refused_with_a_problem_naming_the_field(string name)
    {
        using var response = await _client.PostAsJsonAsync("/admin/jobs", new JsonObject { ["name"] = name });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, (int)problem["status"]!);
        Assert.StartsWith("name ", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Empty(JsonNode.Parse(await _client.GetStringAsync("/admin/jobs"))!["jobs"]!.AsArray());
    }

    [Theory]
    [InlineData("batches/abc123")]
    [InlineData("models/veo-3.0-generate-001/operations/op-1")]
    [InlineData("operations/op_1")]
    [InlineData("interactions/v1_ChdA-b_c")]
    public async Task A_name_in_the_api_alphabet_is_tracked(string name)
    {
        using var response = await _client.PostAsJsonAsync("/admin/jobs", new JsonObject { ["name"] = name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(name, (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["name"]);
    }

    [Fact]
    public async Task A_bare_interaction_id_as_the_api_shows_it_is_tracked_at_its_resource_path()
    {
        using var response = await _client.PostAsJsonAsync("/admin/jobs", new JsonObject { ["name"] = "v1_ChdBare-id_1" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var job = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(("interactions/v1_ChdBare-id_1", "interaction", "v1_ChdBare-id_1"),
            ((string?)job["name"], (string?)job["family"], (string?)job["job_id"]));
        using var again = await _client.PostAsJsonAsync("/admin/jobs", new JsonObject { ["name"] = "interactions/v1_ChdBare-id_1" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var other = await _client.PostAsJsonAsync("/admin/jobs", new JsonObject { ["name"] = "v2_notaninteraction" });
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
    }

    [Fact]
    public async Task Track_refuses_a_name_with_a_space_saying_which_field()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await GeminiHooks.Cli.Program.RunAsync(
            ["track", "batches/a b", "--receiver", _client.BaseAddress!.ToString(), "--admin-key", ReconciliationServerTests.AdminKey], output, error);

        Assert.Equal(1, exit);
        Assert.Contains("400", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("name is not a job name", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(JsonNode.Parse(await _client.GetStringAsync("/admin/jobs"))!["jobs"]!.AsArray());
    }
}
