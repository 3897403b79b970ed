// The benchmark's program (npm run bench): the resources come from stack config, so one program
// serves every stack size. With `noop`, each declared resource is a dynamic resource whose
// provider does nothing: the same stack shape, timing only the engine (its floor).
import * as pulumi from "@pulumi/pulumi";
import {
  MeteredProduct,
  ProductType,
  UsageMeterRegistration,
  UsageMeterRegistrationArgs,
  VcppOrder,
  VcppOrderArgs,
} from "pulumi-vcpp";

interface DeclaredProduct {
  name: string;
  productType: ProductType;
  host: string;
  port: number;
  user: string;
  acceptCertificate: boolean | string;
}

interface Declared {
  noop: boolean;
  products: DeclaredProduct[];
  registrations: Array<{ name: string; args: UsageMeterRegistrationArgs }>;
  orders: Array<{ name: string; args: VcppOrderArgs }>;
}

const config = new pulumi.Config();
const declared = config.requireObject<Declared>("resources");
const password = config.requireSecret("productPassword");

/** Answers at once, changes nothing, never differs: what the engine costs on its own. */
const noopProvider: pulumi.dynamic.ResourceProvider = {
  create: async (inputs: Record<string, unknown>) => ({ id: String(inputs.name), outs: inputs }),
  read: async (id: string, props: Record<string, unknown>) => ({ id, props }),
  diff: async () => ({ changes: false }),
};

class NoOp extends pulumi.dynamic.Resource {
  constructor(name: string, props: Record<string, unknown>) {
    super(noopProvider, name, { name, ...props }, {}, "vcpp-bench:noop");
  }
}

for (const { name, ...product } of declared.products) {
  if (declared.noop) new NoOp(name, { ...product, password });
  else new MeteredProduct(name, { ...product, password });
}
for (const { name, args } of declared.registrations) {
  if (declared.noop) new NoOp(name, { ...args });
  else new UsageMeterRegistration(name, args);
}
for (const { name, args } of declared.orders) {
  if (declared.noop) new NoOp(name, { ...args });
  else new VcppOrder(name, args);
}
