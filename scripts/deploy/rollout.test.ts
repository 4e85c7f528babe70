import { describe, expect, test } from "bun:test";
import type { KubeObject } from "./objects.ts";
import { rolloutState } from "./rollout.ts";

const deployment = (generation: number, spec: object, status: object): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "users-api", namespace: "accounts", generation },
  spec: { replicas: 2, ...spec },
  status,
});

describe("rolloutState, as kubectl rollout status judges it", () => {
  test("waits until the controller has observed the new generation", () => {
    expect(
      rolloutState(deployment(3, {}, { observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2, replicas: 2 })),
    ).toEqual({
      done: false,
      message: "waiting for the controller to see the new spec",
    });
  });

  test("waits for new replicas, then for old ones to go, then for availability", () => {
    expect(rolloutState(deployment(3, {}, { observedGeneration: 3, replicas: 3, updatedReplicas: 1 })).message).toBe(
      "1 of 2 new replicas updated",
    );
    expect(rolloutState(deployment(3, {}, { observedGeneration: 3, replicas: 3, updatedReplicas: 2 })).message).toBe(
      "1 old replicas pending termination",
    );
    expect(
      rolloutState(deployment(3, {}, { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }))
        .message,
    ).toBe("1 of 2 updated replicas available");
    expect(
      rolloutState(deployment(3, {}, { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 })),
    ).toEqual({
      done: true,
      message: "2 replicas available",
    });
  });

  test("fails at once when the progress deadline passed", () => {
    const state = rolloutState(
      deployment(
        3,
        {},
        {
          observedGeneration: 3,
          replicas: 3,
          updatedReplicas: 1,
          conditions: [
            {
              type: "Progressing",
              status: "False",
              reason: "ProgressDeadlineExceeded",
              message: 'ReplicaSet "users-api-5d9" has timed out progressing.',
            },
          ],
        },
      ),
    );
    expect(state).toEqual({
      done: false,
      failed: true,
      message: 'exceeded its progress deadline: ReplicaSet "users-api-5d9" has timed out progressing.',
    });
  });

  test("a StatefulSet is done when all pods are ready at the update revision", () => {
    const statefulSet = (status: object): KubeObject => ({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "mongodb", namespace: "accounts", generation: 2 },
      spec: { replicas: 1 },
      status: { observedGeneration: 2, ...status },
    });
    expect(rolloutState(statefulSet({ readyReplicas: 0 })).message).toBe("0 of 1 pods ready");
    expect(
      rolloutState(statefulSet({ readyReplicas: 1, updatedReplicas: 0, currentRevision: "a", updateRevision: "b" }))
        .done,
    ).toBe(false);
    expect(
      rolloutState(statefulSet({ readyReplicas: 1, updatedReplicas: 1, currentRevision: "b", updateRevision: "b" }))
        .done,
    ).toBe(true);
  });
});
