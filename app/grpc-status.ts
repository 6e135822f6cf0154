/** The gRPC status codes whycry tells apart in Temporal's answers (grpc-js is not a direct dependency). */
export const GRPC_STATUS = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, UNAVAILABLE: 14 } as const;
