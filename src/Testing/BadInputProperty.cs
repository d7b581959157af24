namespace Interp.Testing;

/// <summary>What a refused call must throw: exactly this exception type, and the fragments its message must contain (given the case), case-sensitive.</summary>
public sealed record ExpectedError(Type Exception, Func<TensorCase[], string[]> Fragments);

/// <summary>
/// Bad inputs as a property: every case drawn with the options (e.g. <see cref="Pairing.Clashing"/> shapes, or int32 for a
/// float-only op) must make the op throw <see cref="ExpectedError.Exception"/> with a message that names what the case
/// says (the op, the shapes, the dtype). A case that is accepted, or refused otherwise, is shrunk to the smallest one.
/// </summary>
public static class BadInputProperty
{
    public static void Check(Func<Tensor[], Tensor> op, Domain[] domains, ExpectedError expected, GradOptions options)
    {
        var report = Run(op, domains, expected, options);
        if (report.Failure is not null) throw new GradPropertyException(report);
    }

    public static GradReport Run(Func<Tensor[], Tensor> op, Domain[] domains, ExpectedError expected, GradOptions options) =>
        CaseSearch.Run(inputs => Refused(op, inputs, expected), domains, options, "bad-input property");

    /// <summary>Null when op refuses the case as expected.</summary>
    public static Failure? Refused(Func<Tensor[], Tensor> op, TensorCase[] inputs, ExpectedError expected)
    {
        var leaves = inputs.Select(c => c.Leaf()).ToArray();
        Tensor y;
        try { y = op(inputs.Select((c, k) => c.View(leaves[k])).ToArray()); }
        catch (Exception e) when (e.GetType() == expected.Exception)
        {
            var missing = expected.Fragments(inputs).Where(f => !e.Message.Contains(f, StringComparison.Ordinal)).ToArray();
            return missing.Length == 0 ? null
                : new Failure(FailureKind.NotRefused, $"message lacks a fragment: '{string.Join("', '", missing)}' not in \"{e.Message}\"");
        }
        catch (Exception e)
        {
            return new Failure(FailureKind.NotRefused, $"wrong exception: {e.GetType().Name} ({e.Message}), expected {expected.Exception.Name}");
        }
        return new Failure(FailureKind.NotRefused, $"did not throw: returned {ShapeUtil.Format(y.ShapeArray)} {y.DType.Name()}");
    }
}
