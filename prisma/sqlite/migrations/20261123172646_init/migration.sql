-- CreateTable
CREATE TABLE "Tenant" (
    "clientKey" TEXT NOT NULL PRIMARY KEY,
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
    "installedAt" DATETIME NOT NULL,
    "enabledAt" DATETIME,
    "disabledAt" DATETIME,
    "uninstalledAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    "lastLifecycleIat" INTEGER
);

-- CreateTable
CREATE TABLE "Note" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clientKey" TEXT NOT NULL,
    "issueKey" TEXT NOT NULL,
    "projectKey" TEXT,
    "authorAccountId" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Note_clientKey_fkey" FOREIGN KEY ("clientKey") REFERENCES "Tenant" ("clientKey") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "clientKey" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("clientKey", "webhookId"),
    CONSTRAINT "WebhookDelivery_clientKey_fkey" FOREIGN KEY ("clientKey") REFERENCES "Tenant" ("clientKey") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Tenant_baseUrl_idx" ON "Tenant"("baseUrl");

-- CreateIndex
CREATE INDEX "Note_clientKey_issueKey_idx" ON "Note"("clientKey", "issueKey");

-- CreateIndex
CREATE INDEX "Note_clientKey_createdAt_idx" ON "Note"("clientKey", "createdAt");

-- CreateIndex
CREATE INDEX "WebhookDelivery_receivedAt_idx" ON "WebhookDelivery"("receivedAt");
