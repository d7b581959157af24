using Interp.Testing;

namespace Interp.Tests.Autograd.Ops;

/// <summary>
/// An op declared once: its forward over <see cref="OpArgs"/>, its inputs and their domains, its PyTorch function, how
/// to draw random calls and its fixed PyTorch fixture calls (a spec file's bad calls sit at its end, in a BadInput[]
/// array beside the generated ones). The runners read <see cref="OpTable"/>:
/// gradients against finite differences (GradientTests), ILGPU against the CPU (tests/Gpu/OpParityTests), bad inputs
/// (BadInputTests), the PyTorch fixtures (tests/fixtures/op_specs.json, made from the table, read by
/// make_op_fixtures.py and checked by tests/FixtureOps).
/// </summary>
public sealed record OpSpec(string Name, Input[] Inputs, Func<OpArgs, Tensor> Forward)
{
    /// <summary>The PyTorch function called with the inputs (in order, keyword inputs by name) and the call's arguments; null when PyTorch has none.</summary>
    public string? Torch { get; init; }

    /// <summary>Random shapes of the inputs: one shared shape, or broadcast partners; <see cref="Sample"/> overrides both.</summary>
    public Shapes Shapes { get; init; } = Shapes.Same;

    /// <summary>The keyword arguments of a random call (default: none).</summary>
    public Func<TestData, Kwargs>? RandomArgs { get; init; }

    /// <summary>Draws a whole random call when the shapes and arguments depend on each other (dims, kernels, indices).</summary>
    public Func<TestData, Call>? Sample { get; init; }

    /// <summary>The fixed calls whose PyTorch outputs and gradients live in tests/fixtures/ops.safetensors.</summary>
    public Fixture[] Fixtures { get; init; } = [];

    /// <summary>False for ops with an integer output (argmax): no gradient to check.</summary>
    public bool Differentiable { get; init; } = true;

    /// <summary>The op refuses int32 inputs (a generated bad input checks that the error names the op and int32).</summary>
    public bool FloatOnly { get; init; } = true;

    /// <summary>The op runs on ILGPU devices (checked against the CPU on ILGPU's CPU accelerator, and on CUDA where there is one).</summary>
    public bool OnGpu { get; init; } = true;

    /// <summary>PyTorch takes the tensor inputs as one list (cat, stack).</summary>
    public bool TorchTakesAList { get; init; }

    /// <summary>Random calls per gradient property run.</summary>
    public int Runs { get; init; } = 25;

    /// <summary>GradCheck's tolerance: |analytical − numerical| ≤ atol + rtol·|numerical|.</summary>
    public (double atol, double rtol) GradTolerance { get; init; } = (1e-5, 1e-4);

    /// <summary>ILGPU against the CPU in float32: relative error (float64 is held to 1e-10).</summary>
    public double Float32Tolerance { get; init; } = 1e-4;

    /// <summary>The name errors use (several specs can share an op: pow and pow_scalar are both "pow").</summary>
    public string ErrorName { get; init; } = Name;

    /// <summary>A random call: <see cref="Sample"/> if given, else the shape family with random non-contiguous views.</summary>
    public Call Draw(TestData d) => Sample?.Invoke(d) ?? Shapes.Draw(d, Inputs, RandomArgs?.Invoke(d) ?? new Kwargs());

    public override string ToString() => Name;
}

/// <summary>One input of an op: its name (PyTorch's parameter name for a keyword input), the values it takes, how PyTorch takes it.</summary>
public sealed record Input(string Name, Domain Domain, bool Keyword = false)
{
    public static Input X => new("x", Domain.Any);
    public bool IsFloat => !Domain.IsInteger;
}

/// <summary>A named fixed call: its PyTorch reference is generated once and checked in.</summary>
public sealed record Fixture(string Name, Call Call, DType DType = DType.Float64);

/// <summary>A bad call, the exception type it must raise and the fragments (op name, shapes, values) its message must contain.</summary>
public sealed record BadInput(string Description, Type Exception, Func<object> Act, params string[] Fragments);
