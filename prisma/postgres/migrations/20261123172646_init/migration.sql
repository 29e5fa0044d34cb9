-- CreateTable
CREATE TABLE "Tenant" (
    "clientKey" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "baseUrl" TEXT NOT NULL,
    "displayUrl" TEXT,
    "productType" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "sharedSecret" TEXT NOT NULL,
    "oauthClientId" TEXT,
    "serverVersion" TEXT,
    "pluginsVersion" TEXT,
    "state" TEXT NOT NULL,
    "installedAt" TIMESTAMP(3) NOT NULL,
    "enabledAt" TIMESTAMP(3),
    "disabledAt" TIMESTAMP(3),
    "uninstalledAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "lastLifecycleIat" INTEGER,

    CONSTRAINT "Tenant_pkey" PRIMARY KEY ("clientKey")
);

-- CreateTable
CREATE TABLE "Note" (
    "id" TEXT NOT NULL,
    "clientKey" TEXT NOT NULL,
    "issueKey" TEXT NOT NULL,
    "projectKey" TEXT,
    "authorAccountId" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Note_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "clientKey" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("clientKey","webhookId")
);

-- CreateIndex
CREATE INDEX "Tenant_baseUrl_idx" ON "Tenant"("baseUrl");

-- CreateIndex
CREATE INDEX "Note_clientKey_issueKey_idx" ON "Note"("clientKey", "issueKey");

-- CreateIndex
CREATE INDEX "Note_clientKey_createdAt_idx" ON "Note"("clientKey", "createdAt");

-- CreateIndex
CREATE INDEX "WebhookDelivery_receivedAt_idx" ON "WebhookDelivery"("receivedAt");

-- AddForeignKey
ALTER TABLE "Note" ADD CONSTRAINT "Note_clientKey_fkey" FOREIGN KEY ("clientKey") REFERENCES "Tenant"("clientKey") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_clientKey_fkey" FOREIGN KEY ("clientKey") REFERENCES "Tenant"("clientKey") ON DELETE CASCADE ON UPDATE CASCADE;
